//! The shape of every emulated catalog relation: schema, name, and columns with their
//! PostgreSQL types (`typname`, `_x` for arrays). The catalog store creates its tables from
//! these, and the rewrite uses them to type parameters compared with catalog columns.

use crate::sql::PgType;

/// One catalog relation: `(schema, name, "col type, col type, …")`.
pub type RelationDef = (&'static str, &'static str, &'static str);

/// Every relation of `pg_catalog` and `information_schema` pgrq emulates.
pub const RELATIONS: &[RelationDef] = &[
    (
        "pg_catalog",
        "pg_namespace",
        "oid oid, nspname name, nspowner oid, nspacl _aclitem",
    ),
    (
        "pg_catalog",
        "pg_class",
        "oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid, \
         relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples float4, \
         relallvisible int4, reltoastrelid oid, relhasindex bool, relisshared bool, \
         relpersistence char, relkind char, relnatts int2, relchecks int2, relhasrules bool, \
         relhastriggers bool, relhassubclass bool, relrowsecurity bool, \
         relforcerowsecurity bool, relispopulated bool, relreplident char, \
         relispartition bool, relrewrite oid, relfrozenxid xid, relminmxid xid, \
         relacl _aclitem, reloptions _text, relpartbound pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_attribute",
        "attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, \
         attnum int2, attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, \
         attalign char, attstorage char, attcompression char, attnotnull bool, \
         atthasdef bool, atthasmissing bool, attidentity char, attgenerated char, \
         attisdropped bool, attislocal bool, attinhcount int4, attcollation oid, \
         attacl _aclitem, attoptions _text, attfdwoptions _text, attmissingval text",
    ),
    (
        "pg_catalog",
        "pg_type",
        "oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool, \
         typtype char, typcategory char, typispreferred bool, typisdefined bool, \
         typdelim char, typrelid oid, typsubscript regproc, typelem oid, typarray oid, \
         typinput regproc, typoutput regproc, typreceive regproc, typsend regproc, \
         typmodin regproc, typmodout regproc, typanalyze regproc, typalign char, \
         typstorage char, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4, \
         typcollation oid, typdefaultbin pg_node_tree, typdefault text, typacl _aclitem",
    ),
    (
        "pg_catalog",
        "pg_index",
        "indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool, \
         indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, \
         indimmediate bool, indisclustered bool, indisvalid bool, indcheckxmin bool, \
         indisready bool, indislive bool, indisreplident bool, indkey int2vector, \
         indcollation oidvector, indclass oidvector, indoption int2vector, \
         indexprs pg_node_tree, indpred pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_constraint",
        "oid oid, conname name, connamespace oid, contype char, condeferrable bool, \
         condeferred bool, convalidated bool, conrelid oid, contypid oid, conindid oid, \
         conparentid oid, confrelid oid, confupdtype char, confdeltype char, \
         confmatchtype char, conislocal bool, coninhcount int4, connoinherit bool, \
         conkey _int2, confkey _int2, conpfeqop _oid, conppeqop _oid, conffeqop _oid, \
         confdelsetcols _int2, conexclop _oid, conbin pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_attrdef",
        "oid oid, adrelid oid, adnum int2, adbin pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_description",
        "objoid oid, classoid oid, objsubid int4, description text",
    ),
    (
        "pg_catalog",
        "pg_database",
        "oid oid, datname name, datdba oid, encoding int4, datlocprovider char, \
         datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid xid, \
         datminmxid xid, dattablespace oid, datcollate text, datctype text, \
         daticulocale text, datcollversion text, datacl _aclitem",
    ),
    (
        "pg_catalog",
        "pg_roles",
        "rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, \
         rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolconnlimit int4, \
         rolpassword text, rolvaliduntil timestamptz, rolbypassrls bool, rolconfig _text, \
         oid oid",
    ),
    (
        "pg_catalog",
        "pg_user",
        "usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool, \
         usebypassrls bool, passwd text, valuntil timestamptz, useconfig _text",
    ),
    (
        "pg_catalog",
        "pg_auth_members",
        "oid oid, roleid oid, member oid, grantor oid, admin_option bool",
    ),
    (
        "pg_catalog",
        "pg_am",
        "oid oid, amname name, amhandler regproc, amtype char",
    ),
    (
        "pg_catalog",
        "pg_opclass",
        "oid oid, opcmethod oid, opcname name, opcnamespace oid, opcowner oid, \
         opcfamily oid, opcintype oid, opcdefault bool, opckeytype oid",
    ),
    (
        "pg_catalog",
        "pg_proc",
        "oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4, \
         prorows float4, provariadic oid, prosupport regproc, prokind char, \
         prosecdef bool, proleakproof bool, proisstrict bool, proretset bool, \
         provolatile char, proparallel char, pronargs int2, pronargdefaults int2, \
         prorettype oid, proargtypes oidvector, proallargtypes _oid, proargmodes _char, \
         proargnames _text, prosrc text, probin text, proconfig _text, proacl _aclitem",
    ),
    (
        "pg_catalog",
        "pg_settings",
        "name text, setting text, unit text, category text, short_desc text, \
         extra_desc text, context text, vartype text, source text, min_val text, \
         max_val text, enumvals _text, boot_val text, reset_val text, sourcefile text, \
         sourceline int4, pending_restart bool",
    ),
    (
        "pg_catalog",
        "pg_enum",
        "oid oid, enumtypid oid, enumsortorder float4, enumlabel name",
    ),
    (
        "pg_catalog",
        "pg_range",
        "rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid, \
         rngsubopc oid, rngcanonical regproc, rngsubdiff regproc",
    ),
    (
        "pg_catalog",
        "pg_inherits",
        "inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool",
    ),
    (
        "pg_catalog",
        "pg_sequence",
        "seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, \
         seqmin int8, seqcache int8, seqcycle bool",
    ),
    (
        "pg_catalog",
        "pg_collation",
        "oid oid, collname name, collnamespace oid, collowner oid, collprovider char, \
         collisdeterministic bool, collencoding int4, collcollate text, collctype text, \
         colliculocale text, collversion text",
    ),
    (
        "pg_catalog",
        "pg_policy",
        "oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, \
         polroles _oid, polqual pg_node_tree, polwithcheck pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_statistic_ext",
        "oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, \
         stxstattarget int4, stxkeys int2vector, stxkind _char, stxexprs pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_publication",
        "oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, \
         pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool",
    ),
    (
        "pg_catalog",
        "pg_publication_namespace",
        "oid oid, pnpubid oid, pnnspid oid",
    ),
    (
        "pg_catalog",
        "pg_publication_rel",
        "oid oid, prpubid oid, prrelid oid, prqual pg_node_tree, prattrs int2vector",
    ),
    (
        "pg_catalog",
        "pg_trigger",
        "oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, \
         tgenabled char, tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, \
         tgconstraint oid, tgdeferrable bool, tginitdeferred bool, tgnargs int2, \
         tgattr int2vector, tgargs bytea, tgqual pg_node_tree, tgoldtable name, \
         tgnewtable name",
    ),
    (
        "pg_catalog",
        "pg_rewrite",
        "oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, \
         is_instead bool, ev_qual pg_node_tree, ev_action pg_node_tree",
    ),
    (
        "pg_catalog",
        "pg_depend",
        "classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, \
         refobjsubid int4, deptype char",
    ),
    (
        "pg_catalog",
        "pg_tablespace",
        "oid oid, spcname name, spcowner oid, spcacl _aclitem, spcoptions _text",
    ),
    (
        "pg_catalog",
        "pg_extension",
        "oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool, \
         extversion text, extconfig _oid, extcondition _text",
    ),
    (
        "pg_catalog",
        "pg_tables",
        "schemaname name, tablename name, tableowner name, tablespace name, \
         hasindexes bool, hasrules bool, hastriggers bool, rowsecurity bool",
    ),
    (
        "pg_catalog",
        "pg_indexes",
        "schemaname name, tablename name, indexname name, tablespace name, indexdef text",
    ),
    (
        "pg_catalog",
        "pg_views",
        "schemaname name, viewname name, viewowner name, definition text",
    ),
    (
        "pg_catalog",
        "pg_sequences",
        "schemaname name, sequencename name, sequenceowner name, data_type regtype, \
         start_value int8, min_value int8, max_value int8, increment_by int8, cycle bool, \
         cache_size int8, last_value int8",
    ),
    (
        "pg_catalog",
        "pg_matviews",
        "schemaname name, matviewname name, matviewowner name, tablespace name, \
         hasindexes bool, ispopulated bool, definition text",
    ),
    (
        "pg_catalog",
        "pg_event_trigger",
        "oid oid, evtname name, evtevent name, evtowner oid, evtfoid oid, evtenabled char, \
         evttags _text",
    ),
    (
        "pg_catalog",
        "pg_largeobject_metadata",
        "oid oid, lomowner oid, lomacl _aclitem",
    ),
    (
        "pg_catalog",
        "pg_statio_all_tables",
        "relid oid, schemaname name, relname name, heap_blks_read int8, heap_blks_hit int8, \
         idx_blks_read int8, idx_blks_hit int8, toast_blks_read int8, toast_blks_hit int8, \
         tidx_blks_read int8, tidx_blks_hit int8",
    ),
    (
        "information_schema",
        "schemata",
        "catalog_name name, schema_name name, schema_owner name, \
         default_character_set_catalog name, default_character_set_schema name, \
         default_character_set_name name, sql_path varchar",
    ),
    (
        "information_schema",
        "tables",
        "table_catalog name, table_schema name, table_name name, table_type varchar, \
         self_referencing_column_name name, reference_generation varchar, \
         user_defined_type_catalog name, user_defined_type_schema name, \
         user_defined_type_name name, is_insertable_into varchar, is_typed varchar, \
         commit_action varchar",
    ),
    (
        "information_schema",
        "columns",
        "table_catalog name, table_schema name, table_name name, column_name name, \
         ordinal_position int4, column_default varchar, is_nullable varchar, \
         data_type varchar, character_maximum_length int4, character_octet_length int4, \
         numeric_precision int4, numeric_precision_radix int4, numeric_scale int4, \
         datetime_precision int4, interval_type varchar, interval_precision int4, \
         character_set_catalog name, character_set_schema name, character_set_name name, \
         collation_catalog name, collation_schema name, collation_name name, \
         domain_catalog name, domain_schema name, domain_name name, udt_catalog name, \
         udt_schema name, udt_name name, scope_catalog name, scope_schema name, \
         scope_name name, maximum_cardinality int4, dtd_identifier name, \
         is_self_referencing varchar, is_identity varchar, identity_generation varchar, \
         identity_start varchar, identity_increment varchar, identity_maximum varchar, \
         identity_minimum varchar, identity_cycle varchar, is_generated varchar, \
         generation_expression varchar, is_updatable varchar",
    ),
    (
        "information_schema",
        "table_constraints",
        "constraint_catalog name, constraint_schema name, constraint_name name, \
         table_catalog name, table_schema name, table_name name, constraint_type varchar, \
         is_deferrable varchar, initially_deferred varchar, enforced varchar, \
         nulls_distinct varchar",
    ),
    (
        "information_schema",
        "key_column_usage",
        "constraint_catalog name, constraint_schema name, constraint_name name, \
         table_catalog name, table_schema name, table_name name, column_name name, \
         ordinal_position int4, position_in_unique_constraint int4",
    ),
    (
        "information_schema",
        "referential_constraints",
        "constraint_catalog name, constraint_schema name, constraint_name name, \
         unique_constraint_catalog name, unique_constraint_schema name, \
         unique_constraint_name name, match_option varchar, update_rule varchar, \
         delete_rule varchar",
    ),
    (
        "information_schema",
        "constraint_column_usage",
        "table_catalog name, table_schema name, table_name name, column_name name, \
         constraint_catalog name, constraint_schema name, constraint_name name",
    ),
    (
        "information_schema",
        "check_constraints",
        "constraint_catalog name, constraint_schema name, constraint_name name, \
         check_clause varchar",
    ),
    (
        "information_schema",
        "sequences",
        "sequence_catalog name, sequence_schema name, sequence_name name, \
         data_type varchar, numeric_precision int4, numeric_precision_radix int4, \
         numeric_scale int4, start_value varchar, minimum_value varchar, \
         maximum_value varchar, increment varchar, cycle_option varchar",
    ),
    (
        "information_schema",
        "views",
        "table_catalog name, table_schema name, table_name name, view_definition varchar, \
         check_option varchar, is_updatable varchar, is_insertable_into varchar, \
         is_trigger_updatable varchar, is_trigger_deletable varchar, \
         is_trigger_insertable_into varchar",
    ),
];

/// The columns of a relation definition: `(name, type)`.
pub fn columns(def: &RelationDef) -> impl Iterator<Item = (&'static str, &'static str)> {
    def.2.split(',').filter_map(|c| {
        let mut parts = c.split_whitespace();
        Some((parts.next()?, parts.next()?))
    })
}

/// The catalog relation called `name` in `schema` (`None`: either catalog schema).
pub fn find(schema: Option<&str>, name: &str) -> Option<&'static RelationDef> {
    RELATIONS
        .iter()
        .find(|d| d.1 == name && schema.is_none_or(|s| s == d.0))
}

/// The type wire clients are told for a catalog column type. Vectors and the internal
/// types (`pg_node_tree`, `regproc` …) travel as text; `aclitem[]` as `text[]`.
pub fn wire_type(typname: &str) -> PgType {
    match typname {
        "oid" | "xid" => PgType::Oid,
        "name" => PgType::Name,
        "char" => PgType::Char,
        "bool" => PgType::Bool,
        "int2" => PgType::Int2,
        "int4" => PgType::Int4,
        "int8" => PgType::Int8,
        "float4" => PgType::Float4,
        "float8" => PgType::Float8,
        "varchar" => PgType::Varchar,
        "timestamptz" => PgType::Timestamptz,
        "bytea" => PgType::Bytea,
        "_text" | "_aclitem" => PgType::TextArray,
        "_oid" => PgType::OidArray,
        "_int2" => PgType::Int2Array,
        "_char" => PgType::CharArray,
        _ => PgType::Text,
    }
}

/// The type of a catalog column called `column`, when every catalog relation that has a
/// column of that name agrees on its type.
pub fn column_type(column: &str) -> Option<PgType> {
    let mut found = None;
    for def in RELATIONS {
        for (name, ty) in columns(def) {
            if name == column {
                let t = wire_type(ty);
                match found {
                    None => found = Some(t),
                    Some(f) if f != t => return None,
                    Some(_) => {}
                }
            }
        }
    }
    found
}
