// Stripe Elements on the pay page (only when a publishable key is configured): the card is
// entered in Stripe's frame, turned into a PaymentMethod, and its id posted as the token.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.getAttribute("data-stripe-key"));
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  form.addEventListener("submit", function (event) {
    var token = form.querySelector("input[name=token]");
    if (token.value) return;
    event.preventDefault();
    stripe.createPaymentMethod({ type: "card", card: card }).then(function (result) {
      if (result.error) { errors.textContent = result.error.message; return; }
      token.value = result.paymentMethod.id;
      form.submit();
    });
  });
})();
