"""The mails of submissions (issues.mail's registry): to the author at each announced step, to editors for new work."""

from django.utils.translation import gettext_lazy as _

from issues.mail import PERIODICAL_VARIABLES, register_mail

SUBMISSION_VARIABLES = {
    "submission.title": (_("稿件标题"), "跨境电商的实践与思考"),
    "submission.author_name": (_("作者姓名"), "周明"),
    "submission.affiliation": (_("作者单位"), "南滨大学经济学院"),
    "submission.tracking_number": (_("稿件编号"), "20170131-3F9A2C"),
    "submission.get_status_display": (_("稿件状态"), "审稿中"),
}
AUTHOR_VARIABLES = (
    SUBMISSION_VARIABLES
    | PERIODICAL_VARIABLES
    | {
        "status_url": (_("作者的稿件状态页地址"), "https://bulletin.example.cn/submit/status/abc123/"),
        "message": (_("编辑给作者的说明（可能为空）"), "请补充数据来源。"),
    }
)

register_mail("submissions/email/received", description=_("来稿已收到（给作者）"), variables=AUTHOR_VARIABLES)
register_mail("submissions/email/under_review", description=_("稿件进入审稿（给作者）"), variables=AUTHOR_VARIABLES)
register_mail("submissions/email/revision", description=_("稿件需修改（给作者）"), variables=AUTHOR_VARIABLES)
register_mail("submissions/email/accepted", description=_("稿件已录用（给作者）"), variables=AUTHOR_VARIABLES)
register_mail("submissions/email/rejected", description=_("稿件未录用（给作者）"), variables=AUTHOR_VARIABLES)
register_mail(
    "submissions/email/new_for_editors",
    description=_("新来稿（给可处理来稿的编辑）"),
    variables=SUBMISSION_VARIABLES
    | PERIODICAL_VARIABLES
    | {
        "admin_url": (_("来稿在编辑工作台的地址"), "https://bulletin.example.cn/admin/submissions/submission/1/change/")
    },
)
