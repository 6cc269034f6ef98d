/** A team's own function, in its own tree: one web-standard fetch handler for every platform. */
export default {
  fetch(request: Request): Response {
    return Response.json({ message: "hello from the consumer", path: new URL(request.url).pathname });
  },
};
