"""URLs of the FIP service. Citizens appear by internal row number only (never a person id or
CPR number in a path, so none reaches an access log)."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from fip.service import analyst, api, deploy, export, manager, views
from fip.service.throttle import ThrottledLoginView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("citizens/", views.citizens, name="citizens"),
    path("citizens/find/", views.find_citizen, name="find_citizen"),
    path("citizens/new/", views.new_citizen, name="new_citizen"),
    path("citizens/<int:pk>/", views.citizen, name="citizen"),
    path("citizens/<int:pk>/star.svg", views.star_svg, name="star_svg"),
    path("citizens/<int:pk>/card/", views.card, name="card"),
    path("citizens/<int:pk>/assessment/", views.assessment, name="assessment"),
    path("citizens/<int:pk>/forms/<slug:respondent>/", views.enter_form, name="enter_form"),
    path("manager/", manager.manager, name="manager"),
    path("manager/note/", manager.manager_note, name="manager_note"),
    path("analyst/upload/", analyst.upload, name="upload"),
    path("analyst/export/", export.export, name="export"),
    path("analyst/models/", deploy.models, name="models"),
    path("analyst/imports/", deploy.imports, name="imports"),
    path("api/v1/citizens", api.citizens, name="api_citizens"),
    re_path(r"^api/v1/citizens/(?P<pk>[^/]+)$", api.citizen, name="api_citizen"),
    re_path(r"^api/v1/citizens/(?P<pk>[^/]+)/forms$", api.citizen_forms, name="api_citizen_forms"),
    re_path(r"^api/v1/citizens/(?P<pk>[^/]+)/chance$", api.citizen_chance, name="api_citizen_chance"),
    re_path(r"^api/v1/citizens/(?P<pk>[^/]+)/assessment$", api.citizen_assessment, name="api_citizen_assessment"),
    path("api/v1/export", api.export, name="api_export"),
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
    re_path(r"^api/", api.not_found),
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url=static("fipservice/favicon.svg"))),
]
