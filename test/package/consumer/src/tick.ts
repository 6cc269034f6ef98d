/** A team's schedule function: a plain function run on every tick; it touches nothing shared. */
export default async function tick(): Promise<void> {
  console.log(JSON.stringify({ message: "tick", at: new Date().toISOString() }));
}
