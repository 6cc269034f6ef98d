/** Baseline: users-api written for Cloud Functions (2nd gen) only, on the same Firestore and Pub/Sub clients. */
import { http } from "@google-cloud/functions-framework";
import { Firestore } from "@google-cloud/firestore";
import { PubSub } from "@google-cloud/pubsub";
import { answer, createdEvent, type User } from "../rules";

const db = new Firestore({ projectId: process.env.GOOGLE_CLOUD_PROJECT, ignoreUndefinedProperties: true });
const topic = new PubSub({ projectId: process.env.GOOGLE_CLOUD_PROJECT }).topic(process.env.EVENTS_TOPIC!, { batching: { maxMessages: 1 } });

http("users-api", async (req, res) => {
  const result = await answer(
    {
      async get(id) {
        const snapshot = await db.collection("users").doc(id).get();
        return snapshot.exists ? (snapshot.data() as User) : undefined;
      },
      async create(user) {
        try {
          await db.runTransaction(async (tx) => {
            tx.create(db.collection("emails").doc(`e:${encodeURIComponent(user.email)}`), { userId: user.id });
            tx.create(db.collection("users").doc(user.id), { ...user, pendingSince: user.createdAt });
          });
          return true;
        } catch (error) {
          if ((error as { code?: number }).code === 6) return false; // ALREADY_EXISTS
          throw error;
        }
      },
      async publish(user) {
        await topic.publishMessage({ data: Buffer.from(createdEvent(user)), attributes: { type: "user.created" } });
      },
      apiKey: async () => process.env.API_KEY!,
    },
    req.method,
    req.path,
    (name) => req.header(name),
    async () => req.rawBody?.toString("utf8") ?? "",
  );
  res.status(result.status).set(result.headers).send(result.body);
});
