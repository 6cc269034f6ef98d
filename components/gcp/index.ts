/** Google Cloud Functions (2nd gen): the `GcpFunctions` component and the rules it decides with. */
export * from "./component";
export * from "./rules";
