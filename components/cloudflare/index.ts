/** Cloudflare Workers: the `CloudflareFunctions` component and the rules it decides with. */
export * from "./component";
export * from "./rules";
