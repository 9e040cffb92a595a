-- An import's author is kept as their account id only (imported_by); the e-mail address is looked up when the import
-- is shown, so it is not copied into the table in clear, and an erased author shows as their pseudonym.
alter table occupancy_imports drop column imported_by_email;
update occupancy_imports set report = report - 'importedBy';
