from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from issues.forms import HoneypotMixin
from issues.mail import send_in_background


class RegistrationForm(HoneypotMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    organisation = forms.CharField(
        label=_("单位"), max_length=100, required=False, help_text=_("个人订阅可不填。将印在您下载的 PDF 页脚。")
    )
    email = forms.EmailField(label=_("电子邮箱"), help_text=_("用于登录和接收确认邮件。"))
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，不能全是数字，不能与姓名或邮箱相近。"),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_organisation(self):
        return " ".join(self.cleaned_data["organisation"].split())

    def clean_email(self):
        # An address that has an account is not refused here: saying so would tell anyone who reads
        # this bulletin. subscriber_register mails that address instead.
        return self.cleaned_data["email"].strip()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif password1:
            user = get_user_model()(username=cleaned.get("email", ""), email=cleaned.get("email", ""))
            user.first_name = cleaned.get("name", "")
            try:
                password_validation.validate_password(password1, user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ResendConfirmationForm(forms.Form):
    email = forms.EmailField(label=_("注册时填写的电子邮箱"))


class EmailAuthenticationForm(AuthenticationForm):
    """Readers sign in with their e-mail address (their username), in any letter case."""

    username = forms.CharField(
        label=_("电子邮箱或用户名"), max_length=254, widget=forms.TextInput(attrs={"autofocus": True})
    )

    error_messages = {
        "invalid_login": _("邮箱（用户名）或密码不正确。"),
        "inactive": _("该账号尚未确认邮箱。请点击注册确认邮件中的链接。"),
    }

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        return username.lower() if "@" in username else username

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            # Django refuses unconfirmed (inactive) accounts as a wrong password; say what is really wrong.
            users = get_user_model().objects.filter(
                username=self.cleaned_data.get("username"),
                is_active=False,
                subscriber__isnull=False,
                subscriber__email_confirmed_at=None,  # not confirmed yet, rather than switched off by an editor
            )
            user = users.first()
            if user and user.check_password(self.cleaned_data.get("password") or ""):
                raise ValidationError(self.error_messages["inactive"], code="inactive") from None
            raise


class BackgroundPasswordResetForm(PasswordResetForm):
    """Django's reset form, its mail sent from the task queue: a known address answers as fast as an unknown one."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        send_in_background(EmailMessage(subject, render_to_string(email_template_name, context), to=[to_email]))
