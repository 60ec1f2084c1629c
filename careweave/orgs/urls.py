from django.urls import path

from careweave.orgs import views

app_name = "orgs"
urlpatterns = [
    # an organisation's staff (organisation administrators)
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/<int:user_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:user_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/invitations/<uuid:invitation_id>/cancel/", views.invitation_revoke,
         name="invitation_revoke"),
    # the invitee's link
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # organisations and areas (platform administrators)
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<uuid:organisation_id>/", views.organisation_detail,
         name="organisation_detail"),
    path("organisations/<uuid:organisation_id>/deactivate/", views.organisation_deactivate,
         name="organisation_deactivate"),
    path("organisations/<uuid:organisation_id>/reactivate/", views.organisation_reactivate,
         name="organisation_reactivate"),
    path("organisations/<uuid:organisation_id>/invite/", views.organisation_invite,
         name="organisation_invite"),
    path("areas/", views.area_list, name="area_list"),
    path("areas/new/", views.area_create, name="area_create"),
    path("areas/<uuid:area_id>/deactivate/", views.area_deactivate, name="area_deactivate"),
    path("areas/<uuid:area_id>/reactivate/", views.area_reactivate, name="area_reactivate"),
]
