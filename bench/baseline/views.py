from django.db import connection
from django.http import JsonResponse


def ok(request):
    return JsonResponse({"ok": True})


def ticket_row(request, ticket_id):
    """One ticket by its id in plain SQL, as the contract shows it: no ORM, no DRF."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id::text, title, price, user_id::text, version, order_id::text, status "
            "FROM tickets_ticket WHERE id = %s",
            [ticket_id],
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"errors": [{"message": "Not Found"}]}, status=404)
    ticket_id, title, price, user_id, version, order_id, status = row
    return JsonResponse(
        {
            "id": ticket_id,
            "title": title,
            "price": float(price),
            "userId": user_id,
            "version": version,
            "orderId": order_id,
            "status": status,
        }
    )
