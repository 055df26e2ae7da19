import { IsBoolean, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { anonymous, loggedIn, method } from '../../rpc/method.js';
import { QueryOpts, QueryOptsType } from '../../rpc/validators.js';
import { listOrCount, nullableObj, type Info } from './tags.contract.js';

export class PackageListAddParams {
  taginfo!: Info;
  pkginfo!: Info;
  owner?: Info;
  @IsOptional() @IsBoolean() block?: boolean | null;
  @IsOptional() @IsString() extra_arches?: string | null;
  @IsOptional() @IsBoolean() force?: boolean | null;
  @IsBoolean() update!: boolean;
}
export const packageListAdd = method({
  name: 'packageListAdd',
  summary:
    "Add a package to a tag's package list, or change its entry (package_list policy); a new package name is created",
  access: loggedIn,
  args: [
    'taginfo',
    'pkginfo',
    ['owner', null],
    ['block', null],
    ['extra_arches', null],
    ['force', false],
    ['update', false],
  ],
  params: PackageListAddParams,
  result: { type: 'null' },
});

export class PackageListChangeParams {
  taginfo!: Info;
  pkginfo!: Info;
  @IsOptional() @IsBoolean() force?: boolean | null;
}
export const packageListRemove = method({
  name: 'packageListRemove',
  summary: "Remove a tag's own entry for a package (package_list policy); an inherited entry shows again",
  access: loggedIn,
  args: ['taginfo', 'pkginfo', ['force', false]],
  params: PackageListChangeParams,
  result: { type: 'null' },
});
export const packageListBlock = method({
  name: 'packageListBlock',
  summary:
    'Block a package listed in a tag or its parents (package_list policy); its builds can no longer be tagged in',
  access: loggedIn,
  args: ['taginfo', 'pkginfo', ['force', false]],
  params: PackageListChangeParams,
  result: { type: 'null' },
});
export const packageListUnblock = method({
  name: 'packageListUnblock',
  summary: 'Unblock a package blocked in a tag or its parents (package_list policy)',
  access: loggedIn,
  args: ['taginfo', 'pkginfo', ['force', false]],
  params: PackageListChangeParams,
  result: { type: 'null' },
});

export class PackageListSetOwnerParams {
  taginfo!: Info;
  pkginfo!: Info;
  owner!: Info;
  @IsOptional() @IsBoolean() force?: boolean | null;
}
export const packageListSetOwner = method({
  name: 'packageListSetOwner',
  summary: "Set the owner of a package in a tag's list (package_list policy, action update)",
  access: loggedIn,
  args: ['taginfo', 'pkginfo', 'owner', ['force', false]],
  params: PackageListSetOwnerParams,
  result: { type: 'null' },
});

export class PackageListSetArchesParams {
  taginfo!: Info;
  pkginfo!: Info;
  @IsOptional() @IsString() arches?: string | null;
  @IsOptional() @IsBoolean() force?: boolean | null;
}
export const packageListSetArches = method({
  name: 'packageListSetArches',
  summary: "Set a package's extra arches in a tag's list (package_list policy, action update)",
  access: loggedIn,
  args: ['taginfo', 'pkginfo', 'arches', ['force', false]],
  params: PackageListSetArchesParams,
  result: { type: 'null' },
});

export class ListPackagesParams {
  tagID?: Info;
  userID?: Info;
  pkgID?: Info;
  @IsOptional() @IsString() prefix?: string | null;
  @IsBoolean() inherited!: boolean;
  @IsOptional() @IsBoolean() with_dups?: boolean | null;
  @IsOptional() @IsInt() event?: number | null;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
  @IsBoolean() with_owners!: boolean;
  @IsBoolean() with_blocked!: boolean;
}
export const listPackages = method({
  name: 'listPackages',
  summary:
    "Package-list entries of a tag (with inherited, its parents' too; the nearest wins), of an owner or of a package; without those, every package",
  access: anonymous,
  args: [
    ['tagID', null],
    ['userID', null],
    ['pkgID', null],
    ['prefix', null],
    ['inherited', false],
    ['with_dups', false],
    ['event', null],
    ['queryOpts', null],
    ['with_owners', true],
    ['with_blocked', true],
  ],
  params: ListPackagesParams,
  result: listOrCount,
});

export class ListPackagesSimpleParams {
  @IsOptional() @IsString() prefix?: string | null;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
}
export const listPackagesSimple = method({
  name: 'listPackagesSimple',
  summary: 'Every package, {package_id, package_name}; prefix is case-insensitive',
  access: anonymous,
  args: [
    ['prefix', null],
    ['queryOpts', null],
  ],
  params: ListPackagesSimpleParams,
  result: listOrCount,
});

export class GetPackageParams {
  info!: Info;
  @IsBoolean() strict!: boolean;
  @IsBoolean() create!: boolean;
}
export const getPackage = method({
  name: 'getPackage',
  summary: 'A package {id, name} by id or name (create=True makes a new name, when logged in)',
  access: anonymous,
  args: ['info', ['strict', false], ['create', false]],
  params: GetPackageParams,
  result: nullableObj,
});

export class GetPackageIdParams {
  @IsString() name!: string;
  @IsBoolean() strict!: boolean;
}
export const getPackageID = method({
  name: 'getPackageID',
  summary: 'The id of a package name, or None',
  access: anonymous,
  args: ['name', ['strict', false]],
  params: GetPackageIdParams,
  result: { oneOf: [{ type: 'integer' }, { type: 'null' }] },
});

export class TagPackageParams {
  tag!: Info;
  pkg!: Info;
  @IsOptional() @IsInt() event?: number | null;
}
export const checkTagPackage = method({
  name: 'checkTagPackage',
  summary: 'True when the package is listed (with inheritance) in the tag and not blocked',
  access: anonymous,
  args: ['tag', 'pkg'],
  params: TagPackageParams,
  result: { type: 'boolean' },
});
export const getPackageConfig = method({
  name: 'getPackageConfig',
  summary: 'The package-list entry in force for a package in a tag (with inheritance, blocked too), or None',
  access: anonymous,
  args: ['tag', 'pkg', ['event', null]],
  params: TagPackageParams,
  result: nullableObj,
});

export const packagesContract = [
  packageListAdd,
  packageListRemove,
  packageListBlock,
  packageListUnblock,
  packageListSetOwner,
  packageListSetArches,
  listPackages,
  listPackagesSimple,
  getPackage,
  getPackageID,
  checkTagPackage,
  getPackageConfig,
];
