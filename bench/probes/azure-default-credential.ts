/** Probe: a Table client on DefaultAzureCredential (the whole credential chain). */
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";

export const table = new TableClient("https://paritybench.table.core.windows.net", "users", new DefaultAzureCredential());
