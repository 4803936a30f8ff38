from django.urls import path

from . import views

app_name = "guide"
urlpatterns = [
    # One name for both: {% url 'guide:next_steps' %} and {% url 'guide:next_steps' 'covid' %}.
    path("next-steps/", views.next_steps, name="next_steps"),
    path("next-steps/<slug:outcome>/", views.next_steps, name="next_steps"),
    path("how-it-works/", views.how_it_works, name="how_it_works"),
    path("how-it-works/plots/<path:filename>", views.model_plot, name="model_plot"),
]
