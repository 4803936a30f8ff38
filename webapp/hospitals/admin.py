from django.contrib import admin

from .models import Hospital


@admin.register(Hospital)
class HospitalAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "region", "country", "status", "source"]
    list_filter = ["status", "source", "country"]
    search_fields = ["name", "city", "region", "address"]
