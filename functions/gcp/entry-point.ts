/**
 * The name each bundle registers with the Functions Framework and the component passes as
 * the Cloud Function's `entryPoint`: the catalog name in camelCase (`users-api` →
 * `usersApi`), a plain JavaScript identifier whatever the catalog name is.
 */
export function entryPointName(functionName: string): string {
  return functionName.replace(/[-_]+([a-z0-9])/gi, (_, next: string) => next.toUpperCase());
}
