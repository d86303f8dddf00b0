import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Make sure a superuser exists. Name and password come from BULLETIN_ADMIN_USERNAME and "
        "BULLETIN_ADMIN_PASSWORD; in development the password defaults to the username."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/", help="admin address to print")

    def handle(self, *args, url, **options):
        User = get_user_model()
        username = os.environ.get("BULLETIN_ADMIN_USERNAME", "admin")
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(f"管理员账号已存在。登录：{url}")
            return
        password = os.environ.get("BULLETIN_ADMIN_PASSWORD") or (username if settings.DEBUG else "")
        if not password:
            raise CommandError("BULLETIN_ADMIN_PASSWORD must be set to create the first admin account outside DEBUG.")
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS(f"已创建管理员账号。登录：{url}  用户名：{username}  密码：{password}"))
