// referral-hub console: start the GOV.UK Frontend components, the idle warning, and re-start
// components in content htmx swaps in. External module only: the CSP allows no inline script.
import { initAll } from "./vendor/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

document.body.addEventListener("htmx:afterSwap", (event) => {
  initAll({ scope: event.detail.target });
  const summary = event.detail.target.querySelector(".govuk-error-summary, [data-focus-after-swap]");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
});

// Idle warning: a dialog shortly before the server ends an idle session. "Stay signed in"
// posts to the keep-alive URL (htmx); any page load or htmx request resets the clock.
const body = document.body;
const idleSeconds = Number(body.dataset.idleSeconds || 0);
const warnSeconds = Number(body.dataset.idleWarningSeconds || 0);
const dialog = document.getElementById("idle-warning");
if (idleSeconds > 0 && dialog) {
  let warnTimer = 0;
  let endTimer = 0;
  let lastFocus = null;
  const hide = () => {
    dialog.hidden = true;
    if (lastFocus) lastFocus.focus();
  };
  const show = () => {
    lastFocus = document.activeElement;
    dialog.hidden = false;
    document.getElementById("idle-stay").focus();
  };
  const restart = () => {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(show, Math.max(idleSeconds - warnSeconds, 0) * 1000);
    endTimer = window.setTimeout(() => window.location.assign("/app/?timeout=1"), idleSeconds * 1000);
  };
  body.addEventListener("htmx:afterRequest", (event) => {
    restart();
    if (dialog.contains(event.detail.elt)) hide();
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape" || event.key === "Tab") {
      event.preventDefault();
      document.getElementById("idle-stay").focus();
    }
  });
  restart();
}
