/** Probe: the Firestore client by itself, what a Google Cloud bundle pays for it at load. */
import { Firestore } from "@google-cloud/firestore";

export const db = new Firestore({ projectId: "parity-bench" });
