from django.contrib.auth import get_user_model


def shadow_user_get(token_user):
    """A local stand-in for a staff member, kept in step with their token's claims.

    Only staff get one: anyone else stays anonymous and is sent to sign in. Its password is
    unusable, so the stand-in can never sign in by itself.
    """
    if not token_user.is_staff:
        return None
    user_model = get_user_model()
    wanted = {"email": token_user.email, "is_staff": True, "is_superuser": token_user.is_superuser}
    user, created = user_model.objects.get_or_create(
        username=str(token_user.id), defaults={**wanted, "is_active": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif any(getattr(user, field) != value for field, value in wanted.items()):
        for field, value in wanted.items():
            setattr(user, field, value)
        user.save(update_fields=list(wanted))
    return user
