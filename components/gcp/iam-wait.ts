/**
 * `IamPropagationWait`: a pause between IAM bindings and the resource that needs them, because
 * Google Cloud IAM is eventually consistent ("Changes to allow or deny policies typically
 * propagate in 2 minutes, but could potentially take 7 minutes or longer",
 * https://cloud.google.com/iam/docs/access-change-propagation). A Cloud Function created right
 * after its build identity's grants can fail its first build ("Access to bucket
 * gcf-v2-sources-… denied", hashicorp/terraform-provider-google#20571, a 50 % failure of the
 * provider's own example until it waited), so a fresh stack's first `pulumi up` would need a
 * second one.
 *
 * The Terraform answer is `time_sleep` (magic-modules `cloudfunctions2_basic_builder`). Pulumi's
 * equivalent, `@pulumi/time`'s `Sleep`, would add a package and a provider plugin every deployer
 * downloads; this dynamic resource does the same in the program's own process, with no cloud
 * call and so no permission: it sleeps on create, and again only when the set of bindings it
 * waits for changes (`triggers`), never on an unchanged `pulumi up` or in a preview.
 *
 * Pulumi serialises the provider into the state, so it is self-contained (no imports).
 */
import * as pulumi from "@pulumi/pulumi";

/** Inputs of {@link IamPropagationWait}. */
export interface IamPropagationWaitArgs {
  /** How long to wait, in seconds. */
  seconds: pulumi.Input<number>;
  /** What the wait is for, e.g. the bindings' ids: a new value waits again. */
  triggers: pulumi.Input<pulumi.Input<string>[]>;
}

export interface IamPropagationWaitInputs {
  seconds: number;
  triggers: string[];
}

/** The provider; `msPerSecond` is small in tests. */
export function iamPropagationWaitProvider(msPerSecond = 1000): pulumi.dynamic.ResourceProvider {
  const wait = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * msPerSecond));
  return {
    async create(inputs: IamPropagationWaitInputs) {
      await wait(inputs.seconds);
      return { id: `iam-wait-${Date.now().toString(36)}`, outs: { seconds: inputs.seconds, triggers: inputs.triggers } };
    },
    async diff(_id: string, olds: IamPropagationWaitInputs, news: IamPropagationWaitInputs) {
      // Only new bindings need a new wait; a changed duration alone waits for nothing new.
      const changed = JSON.stringify([...(olds.triggers ?? [])].sort()) !== JSON.stringify([...(news.triggers ?? [])].sort());
      return { changes: changed, replaces: [], deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: IamPropagationWaitInputs, news: IamPropagationWaitInputs) {
      await wait(news.seconds);
      return { outs: { seconds: news.seconds, triggers: news.triggers } };
    },
    async delete() {
      // Nothing exists outside the state.
    },
  };
}

/** Waits `seconds` after the resources it depends on, on create and when `triggers` change. */
export class IamPropagationWait extends pulumi.dynamic.Resource {
  declare readonly seconds: pulumi.Output<number>;
  constructor(name: string, args: IamPropagationWaitArgs, opts?: pulumi.CustomResourceOptions, msPerSecond?: number) {
    super(iamPropagationWaitProvider(msPerSecond), name, args, opts);
  }
}
