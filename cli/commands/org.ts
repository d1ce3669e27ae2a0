/**
 * `org create|members|invite|role|remove` and `invitations [accept|decline <org>]`: organisations
 * and their members over /api/v1/orgs and /api/v1/users/me/invitations (docs/cli.md). Owners
 * invite, change roles and remove; the invited user joins by accepting.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';

const ROLES = 'owner, maintainer or member';

export function registerOrg(program: Command, ctx: Context): void {
  const org = program
    .command('org')
    .description('organisations: namespaces several people publish in, with roles');
  org
    .command('create <name>')
    .description('a new organisation; you become its owner')
    .option('--display-name <text>', 'the name people read (up to 64 characters)')
    .option('--json', 'print the organisation as JSON')
    .action(async (name: string, opts: { displayName?: string; json?: boolean }) =>
      (await import('./org-action.js')).create(ctx, name, opts),
    );
  org
    .command('members <org>')
    .description(
      "the organisation's members and roles (members only); owners also see who is invited",
    )
    .option('--json', 'print the members (and invitations) as JSON')
    .action(async (name: string, opts: { json?: boolean }) =>
      (await import('./org-action.js')).members(ctx, name, opts),
    );
  org
    .command('invite <org> <user>')
    .description(
      'invite a user (owners); they join when they accept: appshelf invitations accept <org>',
    )
    .option('--role <role>', ROLES, 'member')
    .option('--json', 'print the invitation as JSON')
    .action(async (name: string, user: string, opts: { role: string; json?: boolean }) =>
      (await import('./org-action.js')).invite(ctx, name, user, opts),
    );
  org
    .command('role <org> <user> <role>')
    .description(`change a member's role to ${ROLES} (owners; an organisation keeps an owner)`)
    .option('--json', 'print the members as JSON')
    .action(async (name: string, user: string, role: string, opts: { json?: boolean }) =>
      (await import('./org-action.js')).role(ctx, name, user, role, opts),
    );
  org
    .command('remove <org> <user>')
    .description('remove a member or withdraw their invitation (owners); your own name: leave')
    .action(async (name: string, user: string) =>
      (await import('./org-action.js')).remove(ctx, name, user),
    );

  const invitations = program
    .command('invitations')
    .description('the invitations to organisations waiting for your answer')
    .option('--json', 'print the invitations as JSON')
    .action(async (opts: { json?: boolean }) =>
      (await import('./org-action.js')).invitations(ctx, opts),
    );
  invitations
    .command('accept <org>')
    .description('join the organisation with the role you were invited as')
    .action(async (name: string) => (await import('./org-action.js')).answer(ctx, name, 'accept'));
  invitations
    .command('decline <org>')
    .description("say no to the organisation's invitation")
    .action(async (name: string) => (await import('./org-action.js')).answer(ctx, name, 'decline'));
}
