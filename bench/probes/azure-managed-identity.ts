/** Probe: a Table client on ManagedIdentityCredential only (what a Function App on Flex has). */
import { TableClient } from "@azure/data-tables";
import { ManagedIdentityCredential } from "@azure/identity";

export const table = new TableClient("https://paritybench.table.core.windows.net", "users", new ManagedIdentityCredential({ clientId: process.env.AZURE_CLIENT_ID }));
