/**
 * Objects as kubectl's input: a stream of JSON documents, one per line, never one `kind: List`. kubectl validates
 * each document by asking the apiserver's OpenAPI v3 document of its group whether the server validates fields
 * itself (then it sends `fieldValidation=Strict` and leaves the checking to the server). A `v1/List` is in no
 * group's document, so kubectl falls back to downloading the whole `/openapi/v2` (every CRD merged: 23 s on this
 * machine under load, over kubectl's 32 s timeout on a busier one: "error validating data: Get .../openapi/v2
 * ... Client.Timeout exceeded"). Per-document input costs two small v3 requests and keeps strict validation.
 * No `---` between them: kubectl 1.30 reads input that starts with `{` as a JSON stream only (1.36 takes both), and
 * `---` there is "invalid character '-' in numeric literal" (kubectl 1.30.14 refused the node pool so).
 */
export function kubectlInput(objects: readonly unknown[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
}
