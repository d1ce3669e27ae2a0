/** Who is asking. Built from a session, an access key or a registry token; never from raw input. */
export type KeyScope = 'read' | 'install' | 'push';
export const KEY_SCOPES: readonly KeyScope[] = ['read', 'install', 'push'];

export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: number;
      name: string;
      role: 'admin' | 'user';
      /** The scopes of the access key used; undefined for a full session. */
      keyScopes?: KeyScope[];
      keyId?: number;
      /** The login session used, when the principal came from one. */
      sessionId?: number;
      /**
       * Set when the principal came from the pull credentials of an install template: the
       * installer (user and key) narrowed to pulling the repositories of app `appKey`.
       */
      pullCredential?: { id: number; appKey: string };
    };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

export function principalName(p: Principal): string {
  return p.kind === 'user' ? p.name : 'anonymous';
}
