/**
 * The URLs of the site's own scripts and styles, which `site/build.ts` names by their content
 * (`/assets/site.1a2b3c4d5e.css`) so that they may be cached for a year: the build sets them
 * before it renders the pages; unset (a page rendered alone, in a test), a name is its plain URL.
 *
 * @module
 */

const built = new Map<string, string>();

/** Sets the URL of each built asset, by its plain name (`site.css`, `home.js`). */
export function setBuiltAssets(urls: Record<string, string>): void {
  built.clear();
  for (const [name, url] of Object.entries(urls)) built.set(name, url);
}

/** The URL of the asset `name` (`site.css`, `loss.js`): its content-hashed one once built. */
export function assetUrl(name: string): string {
  return built.get(name) ?? `/assets/${name}`;
}
