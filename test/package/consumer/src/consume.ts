/** A team's queue consumer: settles every message of a batch as done. */
export default {
  async queue(messages: { id: string }[]): Promise<{ id: string; status: "done" }[]> {
    return messages.map((message) => ({ id: message.id, status: "done" }));
  },
};
