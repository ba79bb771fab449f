/**
 * The Content-Security-Policy of every page of the site, shared by the pages (a `<meta>`) and
 * the servers (a header): scripts from this origin only, no `eval`.  KaTeX's markup positions
 * glyphs with `style` attributes, hence `'unsafe-inline'` for styles.
 *
 * @module
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");
