/** The environment the component sets on each function (and tests and `npm start` mimic). */

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

/** `GOOGLE_CLOUD_PROJECT`: set by the component; newer runtimes no longer set it themselves. */
export const projectId = (env: NodeJS.ProcessEnv = process.env) => env.GOOGLE_CLOUD_PROJECT || undefined;
/** `FIRESTORE_DATABASE`: the database id the component created. */
export const firestoreDatabase = (env: NodeJS.ProcessEnv = process.env) => env.FIRESTORE_DATABASE || "(default)";
