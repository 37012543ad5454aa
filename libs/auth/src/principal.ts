// Who a request acts as. Authentication (authenticator.ts) attaches a Principal to the request; handlers read
// it through RequestContext.of(request) (@pacs/runtime), never from headers themselves.

/** OAuth 2.0 scopes (RFC 6749 §3.3) that open the DICOMweb transactions; dicomweb.admin opens everything. */
export const Scope = {
  /** QIDO-RS, WADO-RS, rendered resources, UPS-RS searches: every GET and HEAD. */
  Read: 'dicomweb.read',
  /** STOW-RS and every other change (UPS-RS create/update). */
  Write: 'dicomweb.write',
  /** Administrative resources and deletion of stored studies. */
  Admin: 'dicomweb.admin',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export interface Principal {
  /** The token's subject (sub), or its client id for a client-credentials token; 'anonymous' without authentication. */
  readonly subject: string;
  /** The OAuth client the token was issued to (azp or client_id), when the token says. */
  readonly clientId?: string;
  /** Whether a token was verified (false only when PACS_AUTH_MODE=none). */
  readonly authenticated: boolean;
  readonly scopes: ReadonlySet<string>;
  /** The partition (tenant) the request acts in; 1 is the default partition. */
  readonly partitionId: number;
}

/** The principal of every request when authentication is off: the embedded "PACS in seconds". */
export const anonymousPrincipal: Principal = Object.freeze({
  subject: 'anonymous',
  authenticated: false,
  scopes: new Set<string>([Scope.Read, Scope.Write, Scope.Admin]),
  partitionId: 1,
});

const principalKey = Symbol('pacs.principal');
type Carrier = { [principalKey]?: Principal };

/** The principal authentication attached to a request (undefined: not authenticated, or refused). */
export const principalOf = (request: object): Principal | undefined => (request as Carrier)[principalKey];

export function attachPrincipal(request: object, principal: Principal): void {
  (request as Carrier)[principalKey] = principal;
}

/** Whether the principal holds a scope (dicomweb.admin holds them all). */
export const hasScope = (principal: Principal, scope: Scope): boolean =>
  principal.scopes.has(scope) || principal.scopes.has(Scope.Admin);
