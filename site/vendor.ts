/**
 * Copies Swagger UI's files from the pinned npm package `swagger-ui-dist` into the built
 * site (`site/dist/vendor/swagger-ui/`), where both runtimes serve them to the API reference
 * page: the site's build calls {@link copySwaggerUi}.
 *
 * @module
 */
import { getAbsoluteFSPath } from "swagger-ui-dist";
import { SWAGGER_UI_FILES } from "../functions/api/docs.ts";

/** The path of one of the package's files. */
export function packagedFile(name: string): string {
  return `${getAbsoluteFSPath()}/${name}`;
}

/** Copies the files the reference page needs, and their licenses, into `folder`. */
export async function copySwaggerUi(folder: URL): Promise<void> {
  await Deno.mkdir(folder, { recursive: true });
  for (const name of SWAGGER_UI_FILES) {
    await Deno.copyFile(packagedFile(name), new URL(name, folder));
  }
}

if (import.meta.main) {
  await copySwaggerUi(new URL("./dist/vendor/swagger-ui/", import.meta.url));
  console.log(`Copied ${SWAGGER_UI_FILES.join(", ")} to site/dist/vendor/swagger-ui/`);
}
