from django.contrib.admin.apps import AdminConfig


class TicketingAdminConfig(AdminConfig):
    default_site = "ticketing_shared.admin_sso.sites.TicketingAdminSite"
