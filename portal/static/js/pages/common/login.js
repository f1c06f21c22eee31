// The login page: e-mail and password to the people pool; then back where the person was.
import { el, show } from "/portal/static/js/dom.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import { LoginError, chooseNewPassword, currentPerson, logIn } from "/portal/static/js/session.js";

const REASONS = { expiree: "common.login.expired", deconnexion: "common.login.logged_out" };

/** Where to go after logging in: a page of the portal only (never another site). */
function destination() {
  const back = new URLSearchParams(location.search).get("retour") || "";
  return /^\/portal(\/[^/\\][^\\]*)?$/.test(back) && !back.startsWith("/portal/connexion") ? back : "/portal";
}

function say(region, key) {
  const message = el("p", { tabindex: "-1" }, t(key));
  show(region, message);
  message.focus();
}

function refusalKey(error) {
  if (!(error instanceof LoginError)) return "common.login.unavailable";
  if (error.code === "NotAuthorizedException" && /disabled/i.test(error.message)) return "common.login.disabled";
  if (["NotAuthorizedException", "UserNotFoundException"].includes(error.code)) return "common.login.wrong";
  if (["InvalidPasswordException", "InvalidParameterException"].includes(error.code)) return "common.login.new_password_refused";
  return "common.login.unavailable";
}

startPage(async () => {
  const reason = REASONS[new URLSearchParams(location.search).get("raison")];
  if (reason) {
    const notice = document.getElementById("login-reason");
    notice.textContent = t(reason);
    notice.hidden = false;
  } else if (currentPerson()) {
    location.replace(destination());
    return;
  }
  const form = document.getElementById("login-form");
  const newPasswordForm = document.getElementById("new-password-form");
  let challenge = null;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    const alert = document.getElementById("login-alert");
    if (!email || !password) return say(alert, "common.login.missing");
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const outcome = await logIn(email, password);
      if (outcome.newPasswordRequired) {
        challenge = outcome.newPasswordRequired;
        form.hidden = true;
        newPasswordForm.hidden = false;
        newPasswordForm.elements.username.value = email;
        newPasswordForm.elements.new_password.focus();
        return;
      }
      location.replace(destination());
    } catch (error) {
      form.elements.password.value = "";
      say(alert, refusalKey(error));
    } finally {
      button.disabled = false;
    }
  });

  newPasswordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const alert = document.getElementById("new-password-alert");
    try {
      await chooseNewPassword(challenge, newPasswordForm.elements.new_password.value);
      location.replace(destination());
    } catch (error) {
      say(alert, refusalKey(error));
    }
  });
  form.elements.email.focus();
});
