from django.db import migrations, models


def tickets_as_bought_fill(apps, schema_editor):
    # Orders made before this kept no record of their ticket: the copy as it is now is the
    # best that is known.
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.select_related("ticket").iterator(chunk_size=1000):
        Order.objects.filter(pk=order.pk).update(
            ticket_title=order.ticket.title,
            ticket_price=order.ticket.price,
            ticket_version=order.ticket.version,
        )


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="ticket_title",
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="ticket_price",
            field=models.DecimalField(max_digits=9, decimal_places=2, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="ticket_version",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.RunPython(tickets_as_bought_fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="order", name="ticket_title", field=models.CharField(max_length=200)
        ),
        migrations.AlterField(
            model_name="order",
            name="ticket_price",
            field=models.DecimalField(max_digits=9, decimal_places=2),
        ),
        migrations.AlterField(
            model_name="order", name="ticket_version", field=models.PositiveIntegerField()
        ),
    ]
