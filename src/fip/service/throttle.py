"""Login with throttling: after LOGIN_FAILURE_LIMIT failed logins for a user name (or four
times as many from one client address) within LOGIN_FAILURE_WINDOW seconds, further
attempts are refused without checking the password until the window has passed."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.utils import timezone
from django.utils.translation import gettext as _

from fip.service.models import LoginFailure


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")[:64]


def throttled(username: str, address: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    recent = LoginFailure.objects.filter(at__gte=since)
    return (recent.filter(username=username).count() >= settings.LOGIN_FAILURE_LIMIT
            or recent.filter(address=address).count() >= 4 * settings.LOGIN_FAILURE_LIMIT)


class ThrottledLoginView(LoginView):
    template_name = "fipservice/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")[:150]
        if throttled(username, _address(request)):
            # refused before the password is checked (an unbound form: nothing is validated)
            context = self.get_context_data(form=self.form_class(request=request),
                                            refused=_("Too many failed logins. Wait 15 minutes and try again."))
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        LoginFailure.objects.create(username=self.request.POST.get("username", "")[:150],
                                    address=_address(self.request))
        return super().form_invalid(form)

    def form_valid(self, form):
        LoginFailure.objects.filter(username=form.get_user().get_username()).delete()
        return super().form_valid(form)
