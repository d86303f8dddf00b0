from django.conf import settings
from django.core.management.base import BaseCommand

from articles.submissions.reviews import expert_reminders_send


class Command(BaseCommand):
    help = (
        "Remind outside experts whose review is due within BULLETIN_REVIEW_REMINDER_DAYS days, or overdue, "
        "once per invitation and kind of reminder. Meant to run daily (deploy/systemd/bulletin-reminders.timer)."
    )

    def handle(self, *args, **options):
        sent = expert_reminders_send()
        self.stdout.write(f"已发送审稿提醒 {sent} 封（截止前 {settings.REVIEW_REMINDER_DAYS} 天内及逾期）。")
