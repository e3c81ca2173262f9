// The order page's time left to pay, "14:59 left to pay", updated each second. Without
// JavaScript the page says when to pay by; at zero this says the order expired.
(function () {
  "use strict";
  var element = document.querySelector("[data-countdown]");
  if (!element) return;
  // Counted from the server's clock (the seconds left when the page was made), not the
  // browser's, which may be minutes off.
  var secondsLeft = parseInt(element.getAttribute("data-seconds-left"), 10);
  if (isNaN(secondsLeft)) return;
  var expiresAt = performance.now() + secondsLeft * 1000;
  var forms = document.querySelectorAll(".pay-form, .cancel-form");
  // A timer is read when a screen reader's user asks, not every second; the end is announced.
  element.setAttribute("role", "timer");
  element.setAttribute("aria-live", "off");
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var left = Math.max(0, Math.round((expiresAt - performance.now()) / 1000));
    if (left <= 0) {
      clearInterval(timer);
      element.setAttribute("aria-live", "assertive");
      element.textContent = "This order has expired. ";
      var link = document.createElement("a");
      link.href = element.getAttribute("data-ticket-url");
      link.textContent = "See if the ticket is still available";
      element.appendChild(link);
      forms.forEach(function (form) { form.hidden = true; });
      return;
    }
    element.textContent = Math.floor(left / 60) + ":" + pad(left % 60) + " left to pay";
  }
  var timer = setInterval(tick, 1000);
  tick();
})();
