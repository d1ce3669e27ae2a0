/**
 * The part of an image reference after its registry host: `repository[:tag|@digest]`, split
 * (a missing reference is `latest`, as clients take it). A colon after the last slash starts a
 * tag; one before it belongs to the repository path (never, in valid names, but kept whole).
 */
export function splitRepositoryReference(
  rest: string,
): { repository: string; reference: string } | undefined {
  let repository = rest;
  let reference = 'latest';
  const at = repository.indexOf('@');
  if (at >= 0) {
    reference = repository.slice(at + 1);
    repository = repository.slice(0, at);
  } else {
    const colon = repository.lastIndexOf(':');
    if (colon > repository.lastIndexOf('/')) {
      reference = repository.slice(colon + 1);
      repository = repository.slice(0, colon);
    }
  }
  return repository ? { repository, reference } : undefined;
}
