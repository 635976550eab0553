-- The service's role owns its database but is neither superuser nor BYPASSRLS (row-level security applies).
CREATE ROLE castvault LOGIN PASSWORD 'castvault' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE castvault OWNER castvault;
