"""The pages' forms. They render and tidy what people type; the APIs judge it, and their
field errors are put beside these fields (`form_errors_add`), so each rule lives once, in the
service that owns it. The forms are sent unchecked by the browser (`novalidate`, so that every
error reads alike, beside its field); the HTML attributes tell browsers and assistive
technology what a field holds (required, its kind, its keyboard)."""

from django import forms
from django.conf import settings

from web.backend import BackendRefused

TITLE_MAX_LENGTH = 200


def _attrs(**attrs) -> dict:
    return {"required": True, **attrs}


class SignInForm(forms.Form):
    email = forms.CharField(
        required=False,
        widget=forms.EmailInput(attrs=_attrs(autocomplete="email", spellcheck="false")),
    )
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs=_attrs(autocomplete="current-password")),
    )


class SignUpForm(SignInForm):
    password = forms.CharField(
        required=False,
        help_text="8 to 128 characters, not a common password.",
        widget=forms.PasswordInput(attrs=_attrs(autocomplete="new-password")),
    )


class TicketForm(forms.Form):
    title = forms.CharField(
        required=False,
        strip=False,
        widget=forms.TextInput(attrs=_attrs(maxlength=TITLE_MAX_LENGTH)),
    )
    price = forms.CharField(
        required=False,
        help_text="For example 25.00",
        widget=forms.TextInput(attrs=_attrs(inputmode="decimal")),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["price"].label = f"Price ({settings.FRONTEND_CURRENCY})"


class PaymentForm(forms.Form):
    """The test processor's cards: Stripe's test tokens, which it follows."""

    TEST_CARDS = [
        ("tok_visa", "Visa ending 4242 (payment succeeds)"),
        ("tok_chargeDeclined", "Visa ending 0002 (card is declined)"),
    ]

    token = forms.ChoiceField(
        label="Test card", choices=TEST_CARDS, initial="tok_visa", widget=forms.RadioSelect
    )


def form_errors_add(form: forms.Form, refused: BackendRefused) -> None:
    """The API's errors on the form: beside the field it names, else at the top."""
    for error in refused.errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)


class StripePaymentForm(forms.Form):
    """The PaymentMethod Stripe Elements made in the browser (`pm_...`), posted as the token."""

    token = forms.CharField(max_length=255, widget=forms.HiddenInput)
