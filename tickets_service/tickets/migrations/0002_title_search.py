import django.contrib.postgres.indexes
from django.contrib.postgres.indexes import OpClass
from django.db import migrations, models


def title_search_fill(apps, schema_editor):
    # The key as tickets.search computes it today; a later change of the key needs a
    # migration of its own that computes it again.
    from tickets.search import search_key

    Ticket = apps.get_model("tickets", "Ticket")
    for ticket in Ticket.objects.only("pk", "title").iterator(chunk_size=1000):
        Ticket.objects.filter(pk=ticket.pk).update(title_search=search_key(ticket.title))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="title_search",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(title_search_fill, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(model_name="ticket", name="ticket_title_trgm"),
        migrations.AddIndex(
            model_name="ticket",
            index=django.contrib.postgres.indexes.GinIndex(
                OpClass("title_search", name="gin_trgm_ops"), name="ticket_title_search_trgm"
            ),
        ),
    ]
