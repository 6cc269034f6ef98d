/** Azure Functions (Flex Consumption): the `AzureFunctions` component and the rules it decides with. */
export * from "./component";
export * from "./rules";
