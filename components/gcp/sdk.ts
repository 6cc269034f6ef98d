/**
 * The parts of `@pulumi/gcp` this component uses, by service.
 *
 * Why not `import * as gcp from "@pulumi/gcp"`: the package root's declarations name every Google
 * Cloud service (about 2,100 declaration files, 39 MB), and the typechecker reads them all, which
 * was most of `npm run typecheck`'s time. Importing the services by path gives the same classes
 * with a fraction of the declarations to parse. The root is still loaded at run time (below), so
 * the package registers its provider with `@pulumi/pulumi` as it would with a root import.
 */
export * as artifactregistry from "@pulumi/gcp/artifactregistry";
export * as cloudfunctionsv2 from "@pulumi/gcp/cloudfunctionsv2";
export * as cloudrunv2 from "@pulumi/gcp/cloudrunv2";
export * as cloudscheduler from "@pulumi/gcp/cloudscheduler";
export * as firestore from "@pulumi/gcp/firestore";
export * as organizations from "@pulumi/gcp/organizations";
export * as projects from "@pulumi/gcp/projects";
export * as pubsub from "@pulumi/gcp/pubsub";
export * as secretmanager from "@pulumi/gcp/secretmanager";
export * as serviceaccount from "@pulumi/gcp/serviceaccount";
export * as storage from "@pulumi/gcp/storage";

// A plain require: the typechecker does not follow it, so the root's declarations stay unread.
require("@pulumi/gcp");
