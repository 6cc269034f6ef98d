/** A checked-in stack file as the local cloud and the comparison read it: the validated config `index.ts` decides. */
import { parseStackConfig, type ParityConfig } from "../components/config";
import { stackFileValues } from "../components/stack-file";

/**
 * The decided config of `Pulumi.<stack>.yaml` with `apiKey` standing in for the secret,
 * which the file never holds (`pulumi config set --secret` keeps it encrypted).
 */
export function readStackFile(stack: string, apiKey: string): ParityConfig {
  return parseStackConfig({ ...stackFileValues(stack), apiKey }, stack);
}
