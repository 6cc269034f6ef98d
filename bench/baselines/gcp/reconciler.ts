/** Baseline: the reconciler written for Cloud Functions + Cloud Scheduler only, on the same Firestore and Pub/Sub clients. */
import { http } from "@google-cloud/functions-framework";
import { FieldValue, Firestore } from "@google-cloud/firestore";
import { PubSub } from "@google-cloud/pubsub";
import { createdEvent, graceSeconds, reconcile } from "../rules";

const db = new Firestore({ projectId: process.env.GOOGLE_CLOUD_PROJECT });
const topic = new PubSub({ projectId: process.env.GOOGLE_CLOUD_PROJECT }).topic(process.env.EVENTS_TOPIC!, { batching: { maxMessages: 1 } });

http("reconciler", async (_req, res) => {
  const report = await reconcile(
    {
      async listPending(before, limit) {
        const snapshot = await db.collection("users").where("pendingSince", "<", before).orderBy("pendingSince").limit(limit).get();
        return snapshot.docs.map((doc) => ({ id: doc.id, email: doc.get("email"), createdAt: doc.get("createdAt") }));
      },
      async claim(id, at, claimableBefore) {
        const ref = db.collection("users").doc(id);
        const snapshot = await ref.get();
        const last = snapshot.get("lastRepublishAt") as string | undefined;
        if (!snapshot.exists || snapshot.get("pendingSince") === undefined || (last !== undefined && last >= claimableBefore)) return false;
        try {
          await ref.update({ lastRepublishAt: at, republishCount: FieldValue.increment(1) }, { lastUpdateTime: snapshot.updateTime! });
          return true;
        } catch (error) {
          if ((error as { code?: number }).code === 9) return false; // FAILED_PRECONDITION
          throw error;
        }
      },
      async publish(user) {
        await topic.publishMessage({ data: Buffer.from(createdEvent(user)), attributes: { type: "user.created" } });
      },
    },
    graceSeconds(),
  );
  res.status(200).json(report);
});
