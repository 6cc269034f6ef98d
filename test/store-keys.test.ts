/**
 * The email keys of the four stores, for every email the validator accepts: one key per address
 * (no two addresses share one) and within the store's key limit (issue 26). Pure: the stores
 * themselves are exercised with the same addresses by the conformance suite.
 */
import assert from "node:assert/strict";
import { emailRowKey, MAX_ROW_KEY_CHARS } from "../functions/azure/store";
import { emailKey } from "../functions/aws/dynamodb-store";
import { emailDocumentId } from "../functions/gcp/firestore-store";
import { MAX_EMAIL_LENGTH, utf8Length, validateNewUser } from "../functions/core";

/** Addresses that met under an escape, or that sit at a limit. */
const accepted = (email: string) => {
  const result = validateNewUser({ email, name: "N" });
  assert.ok(result.ok, `the validator accepts ${email}`);
  return result.value.email;
};
const samples = [
  "ä1@x.io", "แ@x.io", "!1@x.io", "ȑ@x.io", "%e41@x.io", "%25@x.io", "e:x@x.io", "a@x.io",
  "\u00e9".repeat(124) + "a@x.io", "\u4e2d".repeat(83) + "@x.io", "\u{1f600}".repeat(62) + "a@x.io", "!".repeat(248) + "@x.io",
  "a".repeat(248) + "@x.io", "%".repeat(248) + "@x.io",
].map(accepted);

describe("store keys: injective and within limits for every accepted email", () => {
  it("the samples are distinct addresses, the longest at 254 octets", () => {
    assert.equal(new Set(samples).size, samples.length);
    assert.equal(Math.max(...samples.map(utf8Length)), MAX_EMAIL_LENGTH);
  });

  it("Firestore: one document id per address, at most 1,500 bytes; ASCII addresses keep the ids they had", () => {
    const ids = samples.map(emailDocumentId);
    assert.equal(new Set(ids).size, samples.length);
    assert.notEqual(emailDocumentId("ä1@x.io"), emailDocumentId("แ@x.io"), "the collision of issue 26");
    for (const id of ids) {
      assert.ok(Buffer.byteLength(id) <= 1_500, `${Buffer.byteLength(id)} bytes`);
      assert.doesNotMatch(id, /\//);
      assert.doesNotMatch(id, /^__.*__$/);
    }
    // 中 × 83: 249 octets escaped, 3 bytes each, then "@x.io"; no address can pass 2 + 3 × 254 = 764.
    assert.equal(Math.max(...ids.map((id) => Buffer.byteLength(id))), 2 + 3 * 249 + 5);
    // What the old escape gave an ASCII address, unchanged.
    assert.equal(emailDocumentId("a.b+c@x.io"), "e:a.b+c@x.io");
    assert.equal(emailDocumentId("a!b@x.io"), "e:a%21b@x.io");
  });

  it(`Table Storage: one RowKey per address, at most ${MAX_ROW_KEY_CHARS} characters, no disallowed character; short keys as deployed`, () => {
    const keys = samples.map(emailRowKey);
    assert.equal(new Set(keys).size, samples.length);
    for (const key of keys) {
      assert.ok(key.length <= MAX_ROW_KEY_CHARS, `${key.length} characters`);
      assert.doesNotMatch(key, /[/\\#?\u0000-\u001f\u007f-\u009f]/);
    }
    assert.equal(emailRowKey("ada@example.com"), "email:ada%40example.com", "the form deployed tables hold");
    assert.match(emailRowKey("\u00e9".repeat(124) + "a@x.io"), /^emailsha256:[0-9a-f]{64}$/);
    // At the switch: 506 encoded characters stay readable, one more is hashed.
    const at = "a".repeat(MAX_ROW_KEY_CHARS - "email:".length - "%40x.io".length) + "@x.io";
    assert.equal(emailRowKey(at).length, MAX_ROW_KEY_CHARS);
    assert.match(emailRowKey(`b${at}`), /^emailsha256:/);
  });

  it("DynamoDB: one partition key per address, at most 2,048 bytes", () => {
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html (partition key: 2,048 bytes)
    const keys = samples.map(emailKey);
    assert.equal(new Set(keys).size, samples.length);
    for (const key of keys) assert.ok(Buffer.byteLength(key) <= 2_048);
  });
});
