/** AWS Lambda: the `AwsFunctions` component and the rules it decides with. */
export * from "./component";
export * from "./rules";
