import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from articles import word
from articles.submissions.models import Opinion, Submission
from issues.forms import HoneypotMixin
from issues.models import Periodical

PHONE = re.compile(r"^\+?[\d\s\-()（）]{7,25}$")


class ManuscriptField(forms.FileField):
    """A Word (.docx) manuscript: its content is checked, not its name, and its text counted."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is None:
            return upload
        if upload.size > word.MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件过大：上限为 10 MB。"))
        content = upload.read()
        try:
            upload.inspected = word.check_docx(content)
        except word.WordError as error:
            raise ValidationError(str(error))
        upload.content = content
        limit = Periodical.load().manuscript_char_limit
        if upload.inspected.char_count > limit:
            raise ValidationError(
                _("稿件正文共 %(count)d 字，超过了 %(limit)d 字的上限，请删减后再投。")
                % {"count": upload.inspected.char_count, "limit": limit}
            )
        return upload


def clean_phone(value):
    if not PHONE.match(value or "") or len(re.sub(r"\D", "", value)) < 7:
        raise ValidationError(_("请填写有效的电话号码，如 0123-68881026 或 13800000000。"))
    return value.strip()


class SubmissionForm(HoneypotMixin, forms.ModelForm):
    manuscript = ManuscriptField(label=_("稿件（Word .docx）"))
    consent = forms.BooleanField(
        label=_("我确认稿件为本人原创，同意本刊编辑、发表并在网站和 PDF 中传播。"),
        error_messages={"required": _("请阅读并同意投稿须知。")},
    )

    class Meta:
        model = Submission
        fields = ["title", "author_name", "affiliation", "postal_address", "phone", "email", "co_authors", "abstract"]
        widgets = {"abstract": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"co_authors": _("多位合作者请用顿号分隔。")}

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])


class RevisionForm(forms.Form):
    manuscript = ManuscriptField(label=_("修改稿（Word .docx）"))


class ExpertReviewForm(forms.Form):
    """An outside expert's opinion and comments."""

    opinion = forms.ChoiceField(label=_("审稿意见"), choices=Opinion.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("具体意见"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("只有编辑部看得到，不转给作者。"),
    )  # fmt: skip
