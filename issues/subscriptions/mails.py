"""The mails of accounts and subscriptions (issues.mail's registry)."""

import datetime

from django.utils.translation import gettext_lazy as _

from issues.mail import PERIODICAL_VARIABLES, register_mail

SUBSCRIBER_VARIABLES = PERIODICAL_VARIABLES | {
    "subscriber.name": (_("订阅用户姓名"), "赵敏"),
    "subscriber.organisation": (_("订阅用户单位"), "南滨市商务局"),
    "subscriber.email": (_("订阅用户邮箱"), "zhaomin@example.cn"),
}
SITE_URL = {"site_url": (_("网站地址"), "https://bulletin.example.cn")}
SUBSCRIPTION_VARIABLES = {
    "subscription.starts_on": (_("订阅起始日期"), datetime.date(2017, 2, 1)),
    "subscription.ends_on": (_("订阅截止日期"), datetime.date(2018, 1, 31)),
}
NOTE = {"note": (_("编辑部说明（可能为空）"), "欢迎订阅。")}

register_mail(
    "subscriptions/email/confirm",
    description=_("注册：确认邮箱（给读者）"),
    variables=SUBSCRIBER_VARIABLES
    | SITE_URL
    | {"confirm_url": (_("确认链接"), "https://bulletin.example.cn/accounts/confirm/MQ/abc-123/")},
)
register_mail(
    "subscriptions/email/already_registered",
    description=_("注册：邮箱已注册过（给读者）"),
    variables=PERIODICAL_VARIABLES
    | SITE_URL
    | {
        "reset_path": (_("重设密码页的路径"), "/accounts/password_reset/"),
    },
)
register_mail(
    "subscriptions/email/approved",
    description=_("订阅已批准（给读者）"),
    variables=SUBSCRIBER_VARIABLES | SITE_URL | SUBSCRIPTION_VARIABLES | NOTE,
)
register_mail(
    "subscriptions/email/refused",
    description=_("订阅未批准（给读者）"),
    variables=SUBSCRIBER_VARIABLES | SITE_URL | SUBSCRIPTION_VARIABLES | NOTE,
)
register_mail(
    "subscriptions/email/notice",
    description=_("新刊出版通知（给订阅用户）"),
    variables=SUBSCRIBER_VARIABLES
    | {
        "issue.issue_line": (_("期号"), "2017年第1期（总第26期）"),
        "issue.title": (_("本期主题（可能为空）"), "农村电商专题"),
        "issue_url": (_("本期目录页地址"), "https://bulletin.example.cn/issues/2017/1/"),
        "pdf_url": (_("本期 PDF 地址"), "https://bulletin.example.cn/issues/2017/1/pdf/"),
        "unsubscribe_url": (_("退订链接"), "https://bulletin.example.cn/accounts/unsubscribe/abc/"),
    },
)
register_mail(
    "subscriptions/email/request_for_editors",
    description=_("新的订阅申请（给可审批订阅的编辑）"),
    variables=SUBSCRIBER_VARIABLES
    | SUBSCRIPTION_VARIABLES
    | {
        "admin_url": (
            _("申请在编辑工作台的地址"),
            "https://bulletin.example.cn/admin/subscriptions/subscription/1/change/",
        )
    },
)
