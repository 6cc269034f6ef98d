/** Baseline: queue-worker written for Cloud Functions + Pub/Sub push only, on the same Firestore client. */
import { http } from "@google-cloud/functions-framework";
import { FieldValue, Firestore } from "@google-cloud/firestore";
import { userIdOf } from "../rules";

const db = new Firestore({ projectId: process.env.GOOGLE_CLOUD_PROJECT });

http("queue-worker", async (req, res) => {
  const data = (req.body as { message?: { data?: string } })?.message?.data;
  const id = data ? userIdOf(Buffer.from(data, "base64").toString("utf8")) : undefined;
  if (!id) {
    res.status(204).end(); // poison: acked
    return;
  }
  await db.runTransaction(async (tx) => {
    const ref = db.collection("users").doc(id);
    const snapshot = await tx.get(ref);
    if (snapshot.exists && !snapshot.get("welcomedAt")) tx.update(ref, { welcomedAt: new Date().toISOString(), pendingSince: FieldValue.delete() });
  });
  res.status(204).end();
});
