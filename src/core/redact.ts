/**
 * Secret stripping for anything that may reach a log line, an error message or an HTTP body.
 * Credentials in URLs (`redis://:pw@host`, `postgres://u:pw@h/db`, `smtp://u:pw@h`) and
 * token-like query parameters (`?access_token=…`) are replaced, the rest of the URL kept so
 * the operator can still see which server was meant.
 */

const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>`]+/gi
const SECRET_PARAMS =
  /^(access_token|token|password|passwd|pass|secret|key|api_key|apikey|auth|sig|signature)$/i

/** Redact one URL; returns the input untouched when it does not parse. */
export function redactUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return raw
  }
  let changed = false
  if (url.username || url.password) {
    if (url.password) url.password = 'REDACTED'
    else url.username = 'REDACTED'
    changed = true
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAMS.test(name)) {
      url.searchParams.set(name, 'REDACTED')
      changed = true
    }
  }
  return changed ? url.toString() : raw
}

/** Redact every URL found inside free text. */
export function redactText(text: string): string {
  return text.replace(URL_PATTERN, (match) => redactUrl(match))
}
