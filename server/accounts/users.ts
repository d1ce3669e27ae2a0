import { randomBytes } from 'node:crypto';
import { StoreError } from '../errors.js';
import { namespaceNameProblem } from './names.js';
import type { NewUser, UserRepository, UserRow } from './user-repository.js';

export type { UserRow };

/** What anyone may see of a user. */
export interface PublicProfile {
  name: string;
  displayName: string;
  bio: string;
  website: string;
  avatarUrl: string | null;
  createdAt: string;
}

export interface ProfileChange {
  displayName?: string | undefined;
  bio?: string | undefined;
  website?: string | undefined;
}

export function publicProfile(user: UserRow): PublicProfile {
  return {
    name: user.name,
    displayName: user.displayName,
    bio: user.bio,
    website: user.website,
    avatarUrl: user.avatarType ? `/api/v1/users/${user.name}/avatar` : null,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

export class Users {
  constructor(
    private readonly repository: UserRepository,
    private readonly clock: () => number = Date.now,
  ) {}

  byName(name: string): Promise<UserRow | undefined> {
    return this.repository.byName(name);
  }

  byId(id: number): Promise<UserRow | undefined> {
    return this.repository.byId(id);
  }

  byPhone(phone: string): Promise<UserRow | undefined> {
    return this.repository.byPhone(phone);
  }

  /** Throws the error a first login with `name` would meet, before a code is spent on it. */
  async assertCanSignUp(phone: string, name: string | undefined): Promise<void> {
    if (name === undefined || (await this.byPhone(phone))) return;
    const problem = namespaceNameProblem(name);
    if (problem) throw new StoreError('invalid', `name ${problem}`, { field: 'name' });
    if (await this.repository.nameTaken(name)) throw nameTaken(name);
  }

  /**
   * The user of `phone`, created on first login with the namespace `wanted` (or a generated one).
   * User, namespace and membership are written in one transaction: never half a user.
   */
  async findOrCreateByPhone(
    phone: string,
    wanted?: string,
  ): Promise<{ user: UserRow; created: boolean }> {
    if (wanted !== undefined && !(await this.byPhone(phone))) {
      const problem = namespaceNameProblem(wanted);
      if (problem) throw new StoreError('invalid', `name ${problem}`, { field: 'name' });
    }
    const found = await this.repository.findOrCreate(
      { name: wanted, phone, createdAt: this.clock() },
      () => `user-${randomBytes(4).toString('hex')}`,
    );
    if (found === 'taken') throw nameTaken(wanted ?? '');
    return found;
  }

  /** A new user with their own namespace (the bootstrap admin). */
  create(user: Omit<NewUser, 'createdAt'>): Promise<UserRow> {
    return this.repository.create({ ...user, createdAt: this.clock() });
  }

  async update(userId: number, change: ProfileChange): Promise<UserRow> {
    const set = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length > 0) await this.repository.update(userId, set);
    return (await this.byId(userId))!;
  }

  setAvatar(userId: number, image: Buffer | null, type: string | null): Promise<void> {
    return this.repository.setAvatar(userId, image, type);
  }

  /** Disabling takes effect at once: sessions end, and keys stop working while disabled. */
  setDisabled(userId: number, disabled: boolean): Promise<void> {
    return this.repository.setDisabled(userId, disabled, this.clock());
  }

  setRole(userId: number, role: 'admin' | 'user'): Promise<void> {
    return this.repository.setRole(userId, role);
  }

  /** By name; `search` matches a part of the name or display name, or the phone's last digits. */
  list(options: {
    after?: string | undefined;
    search?: string | undefined;
    limit: number;
  }): Promise<UserRow[]> {
    return this.repository.list(options.after, options.limit, options.search);
  }
}

function nameTaken(name: string): StoreError {
  return new StoreError('conflict', `the name "${name}" is taken; choose another`, {
    field: 'name',
  });
}
