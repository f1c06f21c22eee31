// A person's session: Cognito tokens kept in this tab only (sessionStorage: gone when the tab
// closes, never shared with another site), refreshed before they expire, revoked at logout.
// The person shown on the page is read from the ID token for display only: every route checks
// the token itself.

const SESSION_KEY = "sv.session";
const DRAFT_PREFIX = "sv.draft.";
const REFRESH_MARGIN_SECONDS = 60;

function config(name) {
  return document.querySelector(`meta[name="sv-${name}"]`)?.content || "";
}

export class LoginError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code; // NotAuthorizedException, UserNotFoundException, InvalidPasswordException, …
  }
}

async function cognito(action, body) {
  let response;
  try {
    response = await fetch(config("pool-endpoint"), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
      credentials: "omit",
    });
  } catch {
    throw new LoginError("Unavailable");
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = String(answer.__type || answer.code || "Unavailable").split("#").pop();
    throw new LoginError(code, answer.message);
  }
  return answer;
}

function claimsOf(idToken) {
  const payload = idToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function keep(result, previous = {}) {
  const idToken = result.IdToken;
  const claims = claimsOf(idToken);
  const session = {
    idToken,
    refreshToken: result.RefreshToken || previous.refreshToken,
    expiresAt: claims.exp,
    email: claims.email || claims["cognito:username"],
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch {
    return null;
  }
}

/**
 * Logs in with e-mail and password (USER_PASSWORD_AUTH). Resolves to {session} or, for an account
 * an administrator opened with a temporary password, to {newPasswordRequired: answer} to be
 * passed to `chooseNewPassword`.
 */
export async function logIn(email, password) {
  const answer = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config("client-id"),
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    return { newPasswordRequired: { session: answer.Session, email } };
  }
  return { session: keep(answer.AuthenticationResult) };
}

export async function chooseNewPassword(challenge, newPassword) {
  const answer = await cognito("RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    ClientId: config("client-id"),
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.email, NEW_PASSWORD: newPassword },
  });
  return { session: keep(answer.AuthenticationResult) };
}

/** The ID token to send, refreshed first when it expires within a minute; null: no session. */
export async function validToken() {
  const session = stored();
  if (!session) return null;
  const now = Date.now() / 1000;
  if (session.expiresAt - now > REFRESH_MARGIN_SECONDS) return session.idToken;
  if (!session.refreshToken) return null;
  try {
    const answer = await cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: config("client-id"),
      AuthParameters: { REFRESH_TOKEN: session.refreshToken },
    });
    return keep(answer.AuthenticationResult, session).idToken;
  } catch {
    return null;
  }
}

/** Who is logged in, for display: {email, role, partnerId, territory}, or null. */
export function currentPerson() {
  const session = stored();
  if (!session) return null;
  const claims = claimsOf(session.idToken);
  const groups = claims["cognito:groups"] || [];
  return {
    email: session.email,
    role: Array.isArray(groups) ? groups[0] : String(groups).replace(/[[\]]/g, "").split(/[ ,]+/)[0],
    partnerId: claims["custom:partner_id"] || "",
    territory: claims["custom:territory"] || "",
  };
}

/** Ends the session: tokens revoked where the pool allows it, and forgotten with the drafts. */
export async function logOut() {
  const session = stored();
  forget({ drafts: true });
  if (session?.refreshToken) {
    await cognito("RevokeToken", { ClientId: config("client-id"), Token: session.refreshToken }).catch(() => {});
  }
}

/** Forgets the tokens (and, at logout, what was typed in forms). */
export function forget({ drafts = false } = {}) {
  sessionStorage.removeItem(SESSION_KEY);
  if (drafts) {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith(DRAFT_PREFIX)) sessionStorage.removeItem(key);
  }
}

/** The login page's address that brings the person back here afterwards. */
export function loginUrl(reason) {
  const back = location.pathname + location.search;
  const query = new URLSearchParams({ retour: back });
  if (reason) query.set("raison", reason);
  return `/portal/connexion?${query}`;
}

/** Sends the person to log in again, keeping what they typed (drafts stay in this tab). */
export function sessionExpired() {
  forget();
  location.assign(loginUrl("expiree"));
}

export const DRAFTS = DRAFT_PREFIX;
